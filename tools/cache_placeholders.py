#!/usr/bin/env python3
"""Every media file the given media caches (`vltune prepare`) hold, created empty where it is missing.

The GPU machine has no OpenCV or FFmpeg and gets the caches, not the images and clips: the dataset
readers only check that each file exists, and training reads the cached pixels.
Usage: python3 tools/cache_placeholders.py CACHE_DIR...
"""
import json
import os
import sys

for cache in sys.argv[1:]:
    made = 0
    for path in json.load(open(os.path.join(cache, "index.json")))["media"]:
        if not os.path.exists(path):
            os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
            open(path, "w").close()
            made += 1
    print(f"{cache}: {made} media files stand in empty for the cached pixels")
