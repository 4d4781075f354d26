//! The scenario file's shape: the types a field may expect, and the two macros with which
//! each table's module declares its table once.
//!
//! `file_table!` declares a serde struct whose fields also carry presence and a hint; the
//! macro derives from the same lines the table's field list for the schema walk (`walk.rs`),
//! with each field's expected type taken from its Rust type through [`FileType`], so the two
//! cannot drift. `keywords!` declares an enum of spellings (`process = "poisson"`) with the
//! list that "use one of" messages give. What stays written by hand is whether a field is
//! required (it mirrors serde's defaults) and the distributions' tagged variants
//! (`effort.rs`); the tests below check both against what serde accepts.

use std::collections::BTreeMap;

/// The type a field expects.
pub(super) enum Ty {
    /// Any string.
    Str,
    /// One of these strings.
    Enum(&'static [&'static str]),
    /// A number: a TOML integer or float (`nan` and `inf` pass here; range checks come later).
    Float,
    /// A whole number from 0 to `max`.
    UInt(u64),
    /// `true` or `false`.
    Bool,
    /// A table with these fields (unknown keys are errors).
    Table(&'static [Field]),
    /// A table whose keys are names chosen by the user; every value has this type.
    Map(&'static Ty),
    /// An array whose items have this type.
    Array(&'static Ty),
    /// A table whose `tag` field picks one of the variants' field lists.
    Tagged {
        /// The selecting field (`dist`).
        tag: &'static str,
        /// Variant name and its other fields.
        variants: &'static [(&'static str, &'static [Field])],
    },
}

/// One field of a table.
pub(super) struct Field {
    /// Key as written in the file.
    pub name: &'static str,
    /// Expected type.
    pub ty: Ty,
    /// Whether the field must be present.
    pub required: bool,
    /// What the field means, with an example: completes "expected ..." messages.
    pub hint: &'static str,
}

/// A required field of a tagged variant (the distributions' parameters).
pub(super) const fn req(name: &'static str, ty: Ty, hint: &'static str) -> Field {
    Field {
        name,
        ty,
        required: true,
        hint,
    }
}

/// A Rust type as the file format sees it: what the walk expects where a field has this type.
pub(super) trait FileType {
    /// The expected TOML type.
    const TY: Ty;
}

impl FileType for f64 {
    const TY: Ty = Ty::Float;
}

impl FileType for u32 {
    const TY: Ty = Ty::UInt(u32::MAX as u64);
}

/// TOML integers are signed 64-bit; a `u64` field can hold what TOML can write.
impl FileType for u64 {
    const TY: Ty = Ty::UInt(i64::MAX as u64);
}

impl FileType for bool {
    const TY: Ty = Ty::Bool;
}

impl FileType for String {
    const TY: Ty = Ty::Str;
}

/// An optional field expects what its value expects (presence is declared with the field).
impl<T: FileType> FileType for Option<T> {
    const TY: Ty = T::TY;
}

impl<T: FileType> FileType for Vec<T> {
    const TY: Ty = Ty::Array(&T::TY);
}

impl<T: FileType> FileType for BTreeMap<String, T> {
    const TY: Ty = Ty::Map(&T::TY);
}

/// Declares one table of the file format: the serde struct and, from the same lines, the
/// walk's field list (`FIELDS`, in the order messages list the fields) and its [`FileType`].
///
/// Each field is written `required name: Type => "hint",` or `optional name: Type => "hint",`
/// after its attributes; the hint completes "expected ..." and "needs the field" messages.
/// `optional` must match serde: an `Option`, a `#[serde(default)]` field, or a field of a
/// `#[serde(default)]` struct (the test `presence_matches_serde` checks every field).
macro_rules! file_table {
    (
        $(#[$meta:meta])*
        $vis:vis struct $name:ident {
            $(
                $(#[$field_meta:meta])*
                $presence:ident $field:ident: $ty:ty => $hint:literal,
            )*
        }
    ) => {
        $(#[$meta])*
        $vis struct $name {
            $(
                $(#[$field_meta])*
                pub(super) $field: $ty,
            )*
        }

        impl $name {
            /// The table's fields as the schema walk checks them, in the order messages list
            /// them.
            pub(super) const FIELDS: &'static [$crate::scenario::schema::Field] = &[$(
                $crate::scenario::schema::Field {
                    name: stringify!($field),
                    ty: <$ty as $crate::scenario::schema::FileType>::TY,
                    required: file_table!(@required $presence),
                    hint: $hint,
                },
            )*];
        }

        impl $crate::scenario::schema::FileType for $name {
            const TY: $crate::scenario::schema::Ty =
                $crate::scenario::schema::Ty::Table(Self::FIELDS);
        }
    };
    (@required required) => {
        true
    };
    (@required optional) => {
        false
    };
}

/// Declares a closed set of words the file accepts (`process = "poisson"`): the serde enum,
/// its spellings in declaration order (`WORDS`, listed by "use one of" messages) and its
/// [`FileType`]. With `=> Domain`, also the conversion into the model's enum of the same
/// variant names.
macro_rules! keywords {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident => $domain:ident {
            $( $(#[$variant_meta:meta])* $variant:ident = $word:literal, )*
        }
    ) => {
        keywords! {
            $(#[$meta])*
            $vis enum $name {
                $( $(#[$variant_meta])* $variant = $word, )*
            }
        }

        impl From<$name> for $domain {
            fn from(word: $name) -> Self {
                match word {
                    $( $name::$variant => $domain::$variant, )*
                }
            }
        }
    };
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $( $(#[$variant_meta:meta])* $variant:ident = $word:literal, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
        $vis enum $name {
            $(
                $(#[$variant_meta])*
                #[serde(rename = $word)]
                $variant,
            )*
        }

        impl $name {
            /// The spellings the file accepts, in the order messages list them.
            pub(super) const WORDS: &'static [&'static str] = &[$($word),*];
        }

        impl $crate::scenario::schema::FileType for $name {
            const TY: $crate::scenario::schema::Ty =
                $crate::scenario::schema::Ty::Enum(Self::WORDS);
        }
    };
}

#[cfg(test)]
mod tests {
    use super::super::ScenarioFile;
    use super::super::arrivals::{ArrivalsFile, ProcessKind};
    use super::super::calendar::{CalendarFile, CalendarMode};
    use super::super::classes::{ClassesFile, EstimatesFile};
    use super::super::disruptions::{AbsenceFile, BlockersFile, DisruptionsFile, MissingInputFile};
    use super::super::effort::EffortFile;
    use super::super::policies::{
        FailedDeployKind, HandoffKind, OnBlockKind, OvertimeKind, PolicyFile, ReleaseKind,
        SelectionKind,
    };
    use super::super::run::RunFile;
    use super::super::stages::{DeploymentFile, ReworkFile, StageFile};
    use super::super::team::{MultitaskingFile, MultitaskingModel, RoleFile};
    use super::super::walk::check;
    use super::*;

    /// The backticked names after "expected" in a serde message.
    fn expected_names(message: &str) -> Vec<String> {
        let tail = &message[message.find("expected").expect(message)..];
        tail.split('`')
            .skip(1)
            .step_by(2)
            .map(str::to_string)
            .collect()
    }

    fn sorted(mut v: Vec<String>) -> Vec<String> {
        v.sort();
        v
    }

    fn names(fields: &[Field]) -> Vec<String> {
        sorted(fields.iter().map(|f| f.name.to_string()).collect())
    }

    const BASE: &str = r#"
@ROOT
[run]
@RUN
[calendar]
@CAL
[arrivals]
process = "poisson"
rate_per_week = 1
@ARR
[[stages]]
name = "a"
effort = { dist = "constant", value = 1 @EFF }
@STAGE
[team.x]
skills = { a = 1.0 }
@ROLE
[policies.flow]
@POL
[estimates]
@EST
[disruptions]
@DIS
[disruptions.missing_input]
probability = 0.1
delay = { dist = "constant", value = 1 }
@MISS
[disruptions.blockers]
chance_per_day = 0.1
duration = { dist = "constant", value = 1 }
@BLK
[classes]
@CLS
[multitasking]
@MT
[[absences]]
person = "x"
from_week = 1
@ABS
[[stages]]
name = "b"
effort = { dist = "constant", value = 1 }
rework = { probability = 0.1, to = "a" @REW }
deployment = { failure_probability = 0.1, fix_in = "a", rollback_effort = { dist = "constant", value = 1 } @DEP }
"#;

    const MARKERS: [&str; 17] = [
        "@ROOT", "@RUN", "@CAL", "@ARR", "@STAGE", "@ROLE", "@POL", "@EFF", "@EST", "@DIS",
        "@MISS", "@BLK", "@CLS", "@MT", "@ABS", "@REW", "@DEP",
    ];

    fn with_unknown_at(marker: &str) -> String {
        let mut text = BASE.to_string();
        for m in MARKERS {
            let with = match (m == marker, m == "@EFF" || m == "@REW" || m == "@DEP") {
                (true, true) => ", zzz_unknown = 1",
                (true, false) => "zzz_unknown = 1",
                _ => "",
            };
            text = text.replace(m, with);
        }
        text
    }

    fn serde_error(text: &str) -> String {
        toml::from_str::<ScenarioFile>(text)
            .map(|_| ())
            .expect_err(text)
            .message()
            .to_string()
    }

    #[test]
    fn base_text_deserializes() {
        toml::from_str::<ScenarioFile>(&with_unknown_at("")).unwrap();
    }

    /// When a serde struct gains a field, this test names the schema table that must gain it.
    #[test]
    fn schema_matches_serde_structs() {
        for (marker, fields) in [
            ("@ROOT", ScenarioFile::FIELDS),
            ("@RUN", RunFile::FIELDS),
            ("@CAL", CalendarFile::FIELDS),
            ("@ARR", ArrivalsFile::FIELDS),
            ("@STAGE", StageFile::FIELDS),
            ("@ROLE", RoleFile::FIELDS),
            ("@POL", PolicyFile::FIELDS),
            ("@EST", EstimatesFile::FIELDS),
            ("@DIS", DisruptionsFile::FIELDS),
            ("@MISS", MissingInputFile::FIELDS),
            ("@BLK", BlockersFile::FIELDS),
            ("@CLS", ClassesFile::FIELDS),
            ("@MT", MultitaskingFile::FIELDS),
            ("@ABS", AbsenceFile::FIELDS),
            ("@REW", ReworkFile::FIELDS),
            ("@DEP", DeploymentFile::FIELDS),
        ] {
            let msg = serde_error(&with_unknown_at(marker));
            assert_eq!(
                sorted(expected_names(&msg)),
                names(fields),
                "schema for {marker} differs from the serde struct: {msg}"
            );
        }
        // Effort: the variants, and each variant's fields.
        let Ty::Tagged { variants, .. } = &EffortFile::TY else {
            panic!("effort is tagged")
        };
        let text = with_unknown_at("").replace("\"constant\"", "\"zzz\"");
        let msg = serde_error(&text);
        assert_eq!(
            sorted(expected_names(&msg)),
            sorted(variants.iter().map(|(n, _)| n.to_string()).collect()),
            "{msg}"
        );
        for (variant, fields) in *variants {
            let params: String = fields
                .iter()
                .map(|f| match f.ty {
                    Ty::Str => format!(", {} = \"a\"", f.name),
                    Ty::Array(_) => format!(", {} = [1]", f.name),
                    _ => format!(", {} = 1", f.name),
                })
                .collect();
            let effort = format!("{{ dist = \"{variant}\"{params}, zzz_unknown = 1 }}");
            let text = with_unknown_at("").replace("{ dist = \"constant\", value = 1  }", &effort);
            let msg = serde_error(&text);
            assert_eq!(
                sorted(expected_names(&msg)),
                names(fields),
                "effort {variant}: {msg}"
            );
        }
        // The enums' spellings.
        for (line, replacement, list) in [
            (
                "process = \"poisson\"",
                "process = \"zzz\"",
                ProcessKind::WORDS,
            ),
            ("@CAL", "mode = \"zzz\"", CalendarMode::WORDS),
            ("@POL", "release = \"zzz\"", ReleaseKind::WORDS),
            ("@POL", "selection = \"zzz\"", SelectionKind::WORDS),
            ("@POL", "overtime = \"zzz\"", OvertimeKind::WORDS),
            ("@POL", "on_block = \"zzz\"", OnBlockKind::WORDS),
            ("@POL", "failed_deploy = \"zzz\"", FailedDeployKind::WORDS),
            ("@POL", "handoff = { a = \"zzz\" }", HandoffKind::WORDS),
            ("@MT", "model = \"zzz\"", MultitaskingModel::WORDS),
        ] {
            let text = BASE.replace(line, replacement);
            let text = with_unknown_at_text(&text);
            let msg = serde_error(&text);
            assert_eq!(
                sorted(expected_names(&msg)),
                sorted(list.iter().map(|s| s.to_string()).collect()),
                "{replacement}: {msg}"
            );
        }
    }

    fn with_unknown_at_text(text: &str) -> String {
        let mut text = text.to_string();
        for m in MARKERS {
            text = text.replace(m, "");
        }
        text
    }

    /// A TOML value of type `ty` (inline), for the "every field" document.
    fn sample(ty: &Ty) -> Vec<String> {
        match ty {
            Ty::Str => vec!["\"a\"".into()],
            Ty::Enum(opts) => opts.iter().map(|o| format!("\"{o}\"")).collect(),
            Ty::Float => vec!["1.5".into(), "2".into()],
            Ty::UInt(_) => vec!["3".into()],
            Ty::Bool => vec!["true".into()],
            Ty::Table(fields) => vec![inline(fields, &[])],
            Ty::Map(inner) => vec![format!("{{ k = {} }}", sample(inner)[0])],
            Ty::Array(inner) => vec![format!("[{}]", sample(inner).join(", "))],
            Ty::Tagged { tag, variants } => variants
                .iter()
                .map(|(n, fields)| inline(fields, &[(tag, &format!("\"{n}\""))]))
                .collect(),
        }
    }

    fn inline(fields: &[Field], extra: &[(&str, &str)]) -> String {
        let mut parts: Vec<String> = extra.iter().map(|(k, v)| format!("{k} = {v}")).collect();
        for f in fields {
            // A stage per effort variant: arrays list every sample.
            let v = match &f.ty {
                Ty::Array(inner) => format!("[{}]", {
                    let items: Vec<String> = match inner {
                        Ty::Table(fs) => fs
                            .iter()
                            .find(|f| matches!(f.ty, Ty::Tagged { .. }))
                            .map(|tagged| {
                                sample(&tagged.ty)
                                    .into_iter()
                                    .map(|e| inline(fs, &[(tagged.name, &e)]))
                                    .collect()
                            })
                            .unwrap_or_else(|| sample(inner)),
                        _ => sample(inner),
                    };
                    items.join(", ")
                }),
                ty => sample(ty)[0].clone(),
            };
            if !extra.iter().any(|(k, _)| *k == f.name) {
                parts.push(format!("{} = {v}", f.name));
            }
        }
        format!("{{ {} }}", parts.join(", "))
    }

    /// A document with every field the schema knows, each with a value of its type.
    fn every_field_document() -> toml::Value {
        let text = format!("doc = {}", inline(ScenarioFile::FIELDS, &[]));
        let mut table: toml::Table = toml::from_str(&text).unwrap();
        table.remove("doc").unwrap()
    }

    /// One step into a TOML value: a key of a table or an item of an array.
    #[derive(Debug, Clone)]
    enum Step {
        Key(String),
        Index(usize),
    }

    /// A field present in a document: where its table is, its name, and whether the schema
    /// requires it.
    struct Present {
        path: Vec<Step>,
        name: &'static str,
        required: bool,
    }

    /// Whether a field is required agrees with serde: leaving out a required field fails, and
    /// leaving out an optional one does not.
    #[test]
    fn presence_matches_serde() {
        fn visit(v: &toml::Value, ty: &Ty, path: &mut Vec<Step>, found: &mut Vec<Present>) {
            let fields: Vec<&Field> = match (ty, v) {
                (Ty::Table(fields), _) => fields.iter().collect(),
                (Ty::Tagged { variants, tag }, toml::Value::Table(t)) => {
                    let chosen = t[*tag].as_str().unwrap();
                    let (_, fields) = variants.iter().find(|(n, _)| *n == chosen).unwrap();
                    fields.iter().collect()
                }
                (Ty::Array(inner), toml::Value::Array(items)) => {
                    for (i, item) in items.iter().enumerate() {
                        path.push(Step::Index(i));
                        visit(item, inner, path, found);
                        path.pop();
                    }
                    return;
                }
                (Ty::Map(inner), toml::Value::Table(t)) => {
                    for (k, item) in t {
                        path.push(Step::Key(k.clone()));
                        visit(item, inner, path, found);
                        path.pop();
                    }
                    return;
                }
                _ => return,
            };
            for f in fields {
                let Some(item) = v.get(f.name) else { continue };
                found.push(Present {
                    path: path.clone(),
                    name: f.name,
                    required: f.required,
                });
                path.push(Step::Key(f.name.to_string()));
                visit(item, &f.ty, path, found);
                path.pop();
            }
        }
        let doc = every_field_document();
        let mut found = Vec::new();
        visit(&doc, &ScenarioFile::TY, &mut Vec::new(), &mut found);
        assert!(found.len() > 90, "{}", found.len());
        for f in found {
            let mut without = doc.clone();
            let mut table = &mut without;
            for step in &f.path {
                table = match step {
                    Step::Key(k) => table.get_mut(k.as_str()).unwrap(),
                    Step::Index(i) => table.get_mut(*i).unwrap(),
                };
            }
            table.as_table_mut().unwrap().remove(f.name);
            let text = toml::to_string(&without).unwrap();
            let accepted = toml::from_str::<ScenarioFile>(&text).is_ok();
            assert_eq!(
                accepted,
                !f.required,
                "leaving out `{}` at {:?}: serde {} it, but the schema says it is {}",
                f.name,
                f.path,
                if accepted { "accepts" } else { "rejects" },
                if f.required { "required" } else { "optional" }
            );
        }
    }

    /// Every field the schema accepts, with a value of the type it accepts, is accepted by serde.
    #[test]
    fn every_schema_field_deserializes() {
        let doc = toml::to_string(&every_field_document()).unwrap();
        toml::from_str::<ScenarioFile>(&doc).unwrap_or_else(|e| panic!("{e}\n{doc}"));
        let (mut parsed, errors) = toml::de::DeTable::parse_recoverable(&doc);
        assert!(errors.is_empty());
        let walk = check(&mut parsed, ScenarioFile::FIELDS, true);
        assert!(
            walk.found.is_empty() && !walk.fatal,
            "{:?}",
            walk.found.iter().map(|f| &f.message).collect::<Vec<_>>()
        );
    }
}
