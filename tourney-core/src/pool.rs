//! Pools: which photos compete together, `(category, scope)` with the scope local (same
//! place), regional (same region and country) or global, anchored at the judge's place.

use crate::ids::PlaceId;
use crate::named::wire_names;
use crate::names::Category;

/// How far a pool reaches from its anchor place. Also the kind of a tournament.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scope {
    /// Photos of the same place (city).
    Local,
    /// Photos of any place in the same region and country.
    Regional,
    /// Photos of every place.
    Global,
}

wire_names!(Scope, "scope", [Local => "local", Regional => "regional", Global => "global"]);

/// Whether an entry is a still photo or a short movie; the two never meet in a match.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MediaType {
    /// A still image.
    Photo,
    /// A short video (shown by its cover image).
    Movie,
}

wire_names!(MediaType, "media_type", [Photo => "photo", Movie => "movie"]);

/// Where a place sits, as far as pools care: its id, region and country.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PlaceArea {
    /// The place.
    pub place_id: PlaceId,
    /// Its region (state, province...), e.g. `CA`.
    pub region: String,
    /// Its country code, e.g. `us`.
    pub country: String,
}

/// The photos that compete together: one category, a scope, and the place the scope is
/// measured from (the judge's place).
///
/// ```
/// use tourney_core::{Category, CategoryList, PlaceArea, PlaceId, Pool, Scope};
///
/// let cars = Category::parse("cars", &CategoryList::default())?;
/// let area = |id: &str, region: &str| -> Result<PlaceArea, tourney_core::Error> {
///     Ok(PlaceArea { place_id: PlaceId::parse(id)?, region: region.into(), country: "us".into() })
/// };
/// let (la, sf, nyc) = (area("la", "CA")?, area("sf", "CA")?, area("nyc", "NY")?);
/// let regional = Pool::new(cars.clone(), Scope::Regional, la);
/// assert!(regional.contains(&cars, &sf));
/// assert!(!regional.contains(&cars, &nyc));
/// assert_eq!(regional.key(), "cars/regional/us/CA");
/// # Ok::<(), tourney_core::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Pool {
    category: Category,
    scope: Scope,
    anchor: PlaceArea,
}

impl Pool {
    /// The pool of `category` photos within `scope` of `anchor`.
    pub fn new(category: Category, scope: Scope, anchor: PlaceArea) -> Self {
        Self {
            category,
            scope,
            anchor,
        }
    }

    /// The pool's category.
    pub fn category(&self) -> &Category {
        &self.category
    }

    /// The pool's scope.
    pub fn scope(&self) -> Scope {
        self.scope
    }

    /// The place the scope is measured from.
    pub fn anchor(&self) -> &PlaceArea {
        &self.anchor
    }

    /// Whether a photo of `category` posted at `place` competes in this pool.
    pub fn contains(&self, category: &Category, place: &PlaceArea) -> bool {
        if *category != self.category {
            return false;
        }
        match self.scope {
            Scope::Local => place.place_id == self.anchor.place_id,
            Scope::Regional => {
                place.region == self.anchor.region && place.country == self.anchor.country
            }
            Scope::Global => true,
        }
    }

    /// A stable storage key naming exactly the photos of this pool: pools with the same
    /// photos share the key (`cars/local/<place>`, `cars/regional/<country>/<region>`,
    /// `cars/global`), so a store can index photos under it.
    pub fn key(&self) -> String {
        let category = self.category.as_str();
        match self.scope {
            Scope::Local => format!("{category}/local/{}", self.anchor.place_id),
            Scope::Regional => format!(
                "{category}/regional/{}/{}",
                self.anchor.country, self.anchor.region
            ),
            Scope::Global => format!("{category}/global"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::names::CategoryList;

    fn area(place: &str, region: &str, country: &str) -> PlaceArea {
        PlaceArea {
            place_id: PlaceId::parse(place).unwrap(),
            region: region.to_owned(),
            country: country.to_owned(),
        }
    }

    #[test]
    fn scopes_reach_place_region_or_everywhere() {
        let list = CategoryList::default();
        let cars = Category::parse("cars", &list).unwrap();
        let male = Category::parse("male", &list).unwrap();
        let la = area("la", "CA", "us");
        let sf = area("sf", "CA", "us");
        let ca_in_canada = area("x", "CA", "ca");
        let nyc = area("nyc", "NY", "us");
        let cases = [
            (Scope::Local, &cars, &la, true),
            (Scope::Local, &cars, &sf, false),
            (Scope::Regional, &cars, &sf, true),
            (Scope::Regional, &cars, &ca_in_canada, false),
            (Scope::Regional, &cars, &nyc, false),
            (Scope::Global, &cars, &nyc, true),
            (Scope::Global, &male, &la, false),
        ];
        for (scope, category, place, expected) in cases {
            let pool = Pool::new(cars.clone(), scope, la.clone());
            assert_eq!(
                pool.contains(category, place),
                expected,
                "{scope} {place:?}"
            );
        }
    }

    #[test]
    fn scope_names_round_trip_and_unknown_names_are_listed() {
        for scope in Scope::ALL {
            assert_eq!(scope.as_str().parse::<Scope>().unwrap(), scope);
        }
        let error = "city".parse::<Scope>().unwrap_err();
        assert_eq!(
            error.to_string(),
            "scope must be one of local, regional, global, got \"city\""
        );
        assert_eq!("movie".parse::<MediaType>().unwrap(), MediaType::Movie);
    }
}
