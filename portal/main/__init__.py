"""Home pages by role, the health check and the language switch."""
