"""The staff terminal UI (Textual). Every database call runs in a thread worker; screens receive
plain read models from ``followup.services`` and never touch the engine themselves."""
