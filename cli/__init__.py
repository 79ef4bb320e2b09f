"""The ``wuhai-gis`` command line: a front end that parses options, calls the use cases and prints."""
