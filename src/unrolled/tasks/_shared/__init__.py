"""What the tasks share: flags, settings, printing and tables, plots, the files a user names,
the recurrent cells, BLAS on one thread."""
