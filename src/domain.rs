//! The domain's closed vocabularies, shared by the database, the import format and the API.
//!
//! Each enum is stored as snake_case text, written as SCREAMING_SNAKE_CASE in import
//! documents and exposed under the same name as a GraphQL enum, so one definition keeps
//! the three in step. Their doc comments become the descriptions in `schema.graphql` and
//! in the import JSON Schema.

/// The years a time may lie in, in import documents and in arguments: both backends
/// store any instant between them.
pub const YEARS: std::ops::RangeInclusive<i32> = 1..=9999;

/// Why `text` may not be stored or searched: it holds a control character other than
/// tab and line breaks (a NUL fails on PostgreSQL). `None` when it holds none.
pub fn control_character(text: &str) -> Option<String> {
    let c = text
        .chars()
        .find(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))?;
    Some(format!(
        "holds the control character U+{:04X}",
        u32::from(c)
    ))
}

/// Declares a domain enum with the derives that store, import and expose it.
macro_rules! domain_enum {
    ($(#[$meta:meta])* pub enum $name:ident { $($(#[$vmeta:meta])* $variant:ident,)+ }) => {
        $(#[$meta])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash,
            serde::Serialize, serde::Deserialize, schemars::JsonSchema,
            sea_orm::EnumIter, sea_orm::DeriveActiveEnum, async_graphql::Enum,
        )]
        #[serde(rename_all = "SCREAMING_SNAKE_CASE")]
        #[sea_orm(rs_type = "String", db_type = "Text", rename_all = "snake_case")]
        pub enum $name { $($(#[$vmeta])* $variant,)+ }
    };
}

domain_enum! {
    /// What kind of actor this is.
    pub enum ActorKind {
        /// A natural person.
        Person,
        /// A sovereign state, as a party to war and diplomacy.
        State,
        /// A government or one of its bodies (a presidency, a ministry, the Kremlin).
        GovernmentBody,
        /// A non-governmental or intergovernmental organization.
        Organization,
        /// A news agency, broadcaster or publisher.
        MediaOutlet,
        /// A loose group of actors spoken of together, such as "European leaders".
        Group,
        /// An army or other armed force.
        ArmedForce,
    }
}

domain_enum! {
    /// How one actor is tied to another.
    pub enum AffiliationKind {
        /// Holds an office in the other actor (a president of a state).
        OfficeHolder,
        /// Is a member of the other actor (a leader among "European leaders").
        Member,
        /// Is a part or body of the other actor (the Kremlin of the Russian state).
        PartOf,
        /// Is controlled or owned by the other actor (a state news agency).
        ControlledBy,
        /// Is allied with the other actor.
        Ally,
    }
}

domain_enum! {
    /// What kind of place this is.
    pub enum PlaceKind {
        /// A building or estate (a residence, a palace).
        Venue,
        /// A city or town.
        City,
        /// A village.
        Village,
        /// A subdivision of a country (a state, an oblast, a province).
        Region,
        /// A sovereign country.
        Country,
        /// An area with no administrative standing (a front line, "the east").
        Area,
    }
}

domain_enum! {
    /// How precisely a time is known: the instant stored is exact only to this unit.
    pub enum TimePrecision {
        /// Known to the minute.
        Minute,
        /// Known to the hour.
        Hour,
        /// Known to the day; the instant is that day's start in UTC.
        Day,
        /// Known to the month; the instant is that month's first day.
        Month,
        /// Known to the year; the instant is that year's first day.
        Year,
        /// Known only to lie at or before the instant ("recent", "has accused").
        Before,
    }
}

domain_enum! {
    /// The kind of an event on the shared timeline.
    pub enum EventKind {
        /// A meeting, call or visit.
        Meeting,
        /// Something an actor said or wrote.
        Statement,
        /// A strike, attack, capture or other military action.
        MilitaryEvent,
    }
}

domain_enum! {
    /// How sure the sources are that an event happened as described.
    pub enum Certainty {
        /// Confirmed by the parties or by direct observation.
        Confirmed,
        /// Reported by the source without confirmation.
        Reported,
        /// Claimed by one party, unverified.
        Claimed,
        /// Announced for the future; not yet happened when reported.
        Scheduled,
    }
}

domain_enum! {
    /// The part an actor plays in an event.
    pub enum ParticipantRole {
        /// Hosts a meeting.
        Host,
        /// Is hosted at a meeting.
        Guest,
        /// Takes part on an equal footing.
        Participant,
        /// Speaks or writes a statement.
        Speaker,
        /// Is addressed by a statement or a request.
        Addressee,
        /// Carries out a military action.
        Perpetrator,
        /// Is attacked or accused.
        Target,
        /// Is expected to take part in a scheduled event.
        ExpectedParticipant,
        /// Is mentioned without taking part.
        Mentioned,
    }
}

domain_enum! {
    /// How one event stands to another. Read as "this event KIND the related event".
    pub enum EventRelationKind {
        /// Happens before the related event.
        Precedes,
        /// Happens after the related event.
        Follows,
        /// Is an account of the related event (a readout of a call).
        AccountOf,
        /// Answers the related event.
        RespondsTo,
        /// Is about the related event.
        About,
        /// Is part of the related event (a meeting during a visit).
        PartOf,
    }
}

domain_enum! {
    /// How an event stands to a proposal.
    pub enum EventProposalKind {
        /// The event is about the proposal.
        About,
        /// The proposal was put forward at the event.
        Presents,
        /// The proposal was negotiated at the event.
        Negotiates,
        /// The proposal was accepted, declined or otherwise decided at the event.
        Decides,
    }
}

domain_enum! {
    /// The form a meeting takes.
    pub enum MeetingFormat {
        /// The parties meet face to face.
        InPerson,
        /// A telephone call between the parties.
        PhoneCall,
        /// A video call.
        VideoCall,
        /// A call or video conference among more than two parties.
        ConferenceCall,
        /// A visit by one party to another country or venue.
        Visit,
    }
}

domain_enum! {
    /// Whether a meeting has taken place.
    pub enum MeetingStatus {
        /// Announced; not yet held when reported.
        Scheduled,
        /// Took place.
        Held,
        /// Called off.
        Cancelled,
    }
}

domain_enum! {
    /// How a statement's words reach the source.
    pub enum StatementKind {
        /// The speaker's own words, quoted.
        DirectQuote,
        /// The speaker's words, retold by the source.
        Paraphrase,
        /// An official account of a meeting or call.
        Readout,
        /// A charge laid against another actor.
        Accusation,
        /// A stance signalled without a quotable statement.
        Signal,
        /// A decision announced or taken.
        Decision,
    }
}

domain_enum! {
    /// The channel a statement was made on.
    pub enum ChannelKind {
        /// A post on a social network (Truth Social, X).
        SocialMedia,
        /// An interview given to a media outlet.
        Interview,
        /// Remarks made in person, to the press or an audience.
        Remarks,
        /// An official communiqué, press release or readout.
        OfficialRelease,
        /// Not stated by the source.
        Unspecified,
    }
}

domain_enum! {
    /// What kind of military event this is.
    pub enum MilitaryEventKind {
        /// A strike on a target.
        Strike,
        /// An attack with drones, missiles or both.
        AirAttack,
        /// Ground fighting.
        GroundAssault,
        /// Territory taken by a force.
        TerritorialCapture,
        /// A blockade or siege.
        Blockade,
    }
}

domain_enum! {
    /// What kind of proposal this is.
    pub enum ProposalKind {
        /// A plan to end a war.
        PeacePlan,
        /// A halt to fighting.
        Ceasefire,
        /// A request from one party to another (for weapons, funding).
        Request,
        /// A condition one party insists on.
        Demand,
        /// A promise of protection or support.
        Guarantee,
    }
}

domain_enum! {
    /// Where a proposal stands.
    pub enum ProposalStatus {
        /// Being drafted or revised.
        Draft,
        /// Put forward and awaiting answers.
        Proposed,
        /// Under negotiation between the parties.
        UnderNegotiation,
        /// Accepted by those it was put to.
        Accepted,
        /// Declined by those it was put to.
        Declined,
        /// Withdrawn by its proposers.
        Withdrawn,
    }
}

domain_enum! {
    /// The part an actor plays in a proposal.
    pub enum ProposalPartyRole {
        /// Puts the proposal forward.
        Proposer,
        /// The proposal is put to it.
        Addressee,
        /// Negotiates the proposal's terms.
        Negotiator,
    }
}

domain_enum! {
    /// Whether a provision is part of a proposal.
    pub enum ProvisionInclusion {
        /// The proposal contains it ("would halt the fighting").
        Included,
        /// The proposal may contain it ("could require").
        Possible,
        /// The proposal leaves it out, as the source notes ("does not include").
        Excluded,
    }
}

domain_enum! {
    /// An actor's stance on a proposal or one of its provisions.
    pub enum Stance {
        /// Supports it.
        Supports,
        /// Opposes it.
        Opposes,
        /// Insists on it.
        Demands,
        /// Is willing to engage with it.
        WillingToEngage,
        /// Has given no clear indication.
        Undecided,
        /// Turned it down.
        Declines,
    }
}

domain_enum! {
    /// The kind of record a citation supports.
    pub enum CitedRecord {
        /// An actor.
        Actor,
        /// An affiliation between actors.
        Affiliation,
        /// A place.
        Place,
        /// An event of any kind.
        Event,
        /// An actor's part in an event.
        Participant,
        /// A relation between events.
        EventRelation,
        /// A link between an event and a proposal.
        EventProposal,
        /// A proposal.
        Proposal,
        /// An actor's part in a proposal.
        ProposalParty,
        /// A provision of a proposal.
        Provision,
        /// An actor's position on a proposal or provision.
        Position,
    }
}

domain_enum! {
    /// How an import run changed the store.
    pub enum ImportKind {
        /// A source's document was imported: its claims replaced the source's earlier ones.
        Import,
        /// A source was withdrawn: every claim it made was retracted.
        Retraction,
        /// Records kept from before the store held claims were made claims of the sources
        /// that cite them.
        Upgrade,
    }
}

/// What a claim is about: a record, or a link between records. Declared in the order
/// the store resolves them, so that every kind refers only to kinds before it (a place
/// to its parent place aside).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    sea_orm::EnumIter,
    sea_orm::DeriveActiveEnum,
)]
#[sea_orm(rs_type = "String", db_type = "Text", rename_all = "snake_case")]
pub enum SubjectKind {
    Actor,
    Place,
    Alias,
    Affiliation,
    Event,
    Proposal,
    Participant,
    EventRelation,
    EventProposal,
    ProposalParty,
    Provision,
    Position,
    Citation,
}
