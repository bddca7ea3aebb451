"""What the tasks share: flags and settings, printing and tables, plots, run folders, cells."""
