"""What leadcap hands to people besides the exports: e-mail drafts, QR codes and command
sheets, test badges, and reading edited follow-up workbooks back (`followups_import`)."""
