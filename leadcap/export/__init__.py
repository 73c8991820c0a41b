"""Export leads to Excel, CSV and vCard files.

Pure core: each writer takes lead dicts (the JSON contract) and writes a file; nothing here
prints or imports heavy libraries at import time."""
