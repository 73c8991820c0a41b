"""Intake: everything that turns what a visitor shows into a lead.

Payload parsers (`parse/`), the capture step that saves a scan before anything else
(`capture`), telling a scanner from a person at the keyboard (`terminal`), codes in photos
(`photo`) and the organiser's attendee list (`attendees`)."""
