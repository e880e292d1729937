"""WhiteNoise, quiet about a STATIC_ROOT that need not exist."""

import os

from whitenoise.middleware import WhiteNoiseMiddleware


class StaticFilesMiddleware(WhiteNoiseMiddleware):
    """While assets come straight from their folders (development, tests:
    WHITENOISE_USE_FINDERS), collectstatic has not run and STATIC_ROOT does not
    exist: that is expected, not worth WhiteNoise's "No directory at" warning at
    every start. In production, assets come only from STATIC_ROOT, and a missing
    one is a real problem: the warning stays."""

    def add_files(self, root, prefix=None):
        if self.use_finders and root == self.static_root and not os.path.isdir(root):
            return
        super().add_files(root, prefix)
