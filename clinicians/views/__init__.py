"""The console's pages (clinic admins) and the therapist's home, one module per area."""
