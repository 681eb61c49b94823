"""Email that is never lost: composed once, written to the outbox table, then delivered by SMTP or to a folder."""
