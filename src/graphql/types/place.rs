//! Places, within their parents.

use async_graphql::{Context, ID, Object, Result};

use super::history::PlaceProvenance;
use super::{Citation, citations_of, list, one};
use crate::db::entities::place;
use crate::domain::{CitedRecord, PlaceKind};
use crate::graphql::ids;
use crate::graphql::loaders::{PlaceById, PlacesByParent};

/// A venue, city, village, region, country or area, within its parent place.
pub struct Place(place::Model);

impl From<place::Model> for Place {
    fn from(model: place::Model) -> Self {
        Self(model)
    }
}

/// A venue, city, village, region, country or area, within its parent place.
#[Object]
impl Place {
    /// Globally unique, opaque id.
    pub async fn id(&self) -> ID {
        ids::encode("Place", self.0.id)
    }

    /// Stable, human-readable identifier shared across sources.
    async fn slug(&self) -> &str {
        &self.0.slug
    }

    /// The place's name.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// What kind of place this is.
    async fn kind(&self) -> PlaceKind {
        self.0.kind
    }

    /// Latitude in decimal degrees (WGS 84), where known.
    async fn latitude(&self) -> Option<f64> {
        self.0.latitude
    }

    /// Longitude in decimal degrees (WGS 84), where known.
    async fn longitude(&self) -> Option<f64> {
        self.0.longitude
    }

    /// ISO 3166-1 alpha-3 code of the country the place lies in.
    async fn country(&self) -> Option<&str> {
        self.0.country.as_deref()
    }

    /// The place this one lies within.
    async fn parent(&self, ctx: &Context<'_>) -> Result<Option<Place>> {
        one::<PlaceById, _>(ctx, self.0.parent_id).await
    }

    /// The places directly within this one, by name.
    async fn children(&self, ctx: &Context<'_>) -> Result<Vec<Place>> {
        list::<PlacesByParent, _>(ctx, self.0.id).await
    }

    /// Where sources name the place.
    async fn citations(&self, ctx: &Context<'_>) -> Result<Vec<Citation>> {
        citations_of(ctx, CitedRecord::Place, self.0.id).await
    }

    /// Who says what about it: every source's claims, the values each gives for each
    /// field, and the fields they disagree on.
    async fn provenance(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Also list claims their sources have since withdrawn.", default)]
        include_retracted: bool,
    ) -> Result<PlaceProvenance> {
        PlaceProvenance::of(ctx, self.0.id, include_retracted).await
    }
}
