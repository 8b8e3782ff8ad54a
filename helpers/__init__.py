"""Shared code for the generative-models notebook series.

Layers, lowest first (each module imports only those above it in this list):

0. ``tensorflow_log`` TensorFlow's C++ log kept out of outputs (installed here, first)
1. ``config``   quick mode, paths, seeding, versions          (notebook 01)
   ``checks``   argument checks in one decorator, apart from the ideas (notebook 03)
2. ``data``     MNIST / Fashion-MNIST loading and checks       (notebook 01)
3. ``plots``    image grids, canvases, ellipses, curves        (notebook 01)
   ``morphometry`` thickness, slant, width... from the pixels   (notebook 07)
4. ``cache``    atomic model cache                             (notebook 03)
5. ``interface`` the encode/decode/sample contract             (notebook 03)
6. models: ``classical`` (01, 02), ``vae`` (03), ``bigan`` (04), ``flow`` (08)
7. ``latent``   centroids, class and attribute vectors, paths  (notebooks 05, 07)
8. ``judges``   the classifiers that score images (LR, CNN)   (notebook 06)
9. ``scoring``  transfer matrices, realism, Frechet distance   (notebook 06)
10. ``lineup``  the models compared, scoreboard, tables       (notebook 06)
11. ``style``   moving digits along style axes, measured      (notebook 07)
12. ``diffusion`` pixel and latent diffusion, DDIM inversion as encode (notebook 09)
13. ``widgets`` the live explorer widget and its static stand-in (notebooks 05, 07)
14. ``browser_explorer`` the explorer as a page-only HTML/JS block (notebooks 05, 07);
    both run the page side in ``explorer.js`` (one ES module)
"""

from helpers import tensorflow_log as _tensorflow_log

# Silence TensorFlow's C++ start-up log before anything imports TensorFlow, so
# committed notebook outputs carry figures and numbers, not absl/oneDNN/XLA banners.
_tensorflow_log.install()

from helpers import config as _config  # noqa: E402  (after the log filter, as every module)

# Another Keras backend (KERAS_BACKEND=jax left by another tutorial) would fail deep in a
# training step: say so now, with the fix.
_config.check_keras_backend()

__version__ = "0.1.0"
