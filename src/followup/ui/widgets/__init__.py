"""Widgets the staff UI and the patient kiosk share."""
