"""User administration: admins manage the accounts of their area, commune leads their screeners."""
