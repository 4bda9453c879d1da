"""Entry point: python -m worker."""
from . import main

main()
