from leadcap.cli import main

main()
