"""Patient self-report: a locked-down Textual app where a patient signs in with their patient ID
and personal code and answers the questionnaire for their own knee, in a terminal kiosk
(``followup selfreport``) or in a browser through textual-serve (``followup serve``)."""
