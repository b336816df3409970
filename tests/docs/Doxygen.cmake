# Doxygen: see below
