-- The places port: one row per place, its position as a geography point (WGS 84) kept in
-- step with lat/lon by a generated column, a GiST index for nearest-place (KNN) queries and
-- a b-tree for listing a region's places most populous first.
CREATE EXTENSION IF NOT EXISTS postgis;

CREATE TABLE ocean_places (
    id text COLLATE "C" PRIMARY KEY,
    name text NOT NULL,
    region text NOT NULL,
    country text NOT NULL,
    lat double precision NOT NULL CHECK (lat BETWEEN -90 AND 90),
    lon double precision NOT NULL CHECK (lon BETWEEN -180 AND 180),
    population bigint CHECK (population >= 0),
    geog geography(Point, 4326) NOT NULL
        GENERATED ALWAYS AS (ST_SetSRID(ST_MakePoint(lon, lat), 4326)::geography) STORED
);

CREATE INDEX ocean_places_by_position ON ocean_places USING gist (geog);

CREATE INDEX ocean_places_by_region
    ON ocean_places (lower(country), lower(region), population DESC NULLS LAST, id);
