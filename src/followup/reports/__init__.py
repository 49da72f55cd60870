"""What is printed or handed out: the review packet, charts and tables, rendered from the read
models the services build."""
