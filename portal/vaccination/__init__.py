"""From willing to vaccinated: vaccination sites, sessions, appointments, doses given there."""
