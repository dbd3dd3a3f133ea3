"""Tables (text and HTML), multi-model tables and the HTML report of the command line."""
