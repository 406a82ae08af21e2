"""Code the lab compares itself with: the seed's buggy sample, plain CRUD, a set-based rebuild."""
