"""The terminal apps: the staff UI (``staff``), the patient kiosk (``kiosk``) and the widgets
both share (``widgets``)."""
