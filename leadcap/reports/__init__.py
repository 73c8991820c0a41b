"""Reports on the captured leads: live stats, the daily debrief and the follow-up
worklist (`worklist`)."""
