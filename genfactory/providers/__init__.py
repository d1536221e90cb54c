"""Image providers behind one small async interface (see :mod:`genfactory.providers.base`)."""
