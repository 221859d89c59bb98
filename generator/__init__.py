"""internpack: assess the S2 and X1 internship routes and draft the document pack."""

__version__ = "0.1.0"
