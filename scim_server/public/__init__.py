"""Pages and endpoints for people without credentials: the invitation link and its accept."""
