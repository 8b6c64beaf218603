"""What a run shows: tables and the reading, figures, the session's history, the exported script."""
