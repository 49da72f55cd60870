"""The terminal apps: staff (``staff``), the patient kiosk (``kiosk``) and the widgets both share."""
