"""Use cases: each public function is one user action in one short transaction. They take the
engine and the acting user, and return plain read models (dataclasses), never ORM rows."""
