//! The scenario format as a JSON Schema (draft 2020-12), for editors that complete and check
//! TOML against a schema (Taplo / Even Better TOML, JetBrains IDEs).
//!
//! Why it exists: a researcher writing a scenario gets completion, hover text and a red
//! underline before running `flowsim check`. It is generated from the very declarations the
//! loader's schema walk uses ([`Ty`], [`Field`], each table's `FIELDS` from `file_table!`), so
//! a field added to the format appears here without another edit. Each field's description is
//! its hint, the text that completes the loader's "expected ..." messages (with units and an
//! example). The schema checks shape (names, types, required fields, the words a keyword
//! accepts); ranges and cross-field rules stay with `flowsim check`.

use serde_json::{Map, Value, json};

use super::ScenarioFile;
use super::schema::{Field, Ty};

/// The JSON Schema of a scenario file.
pub fn json_schema() -> Value {
    let mut root = table(ScenarioFile::FIELDS);
    let o = root.as_object_mut().expect("a table is an object");
    o.insert(
        "$schema".into(),
        json!("https://json-schema.org/draft/2020-12/schema"),
    );
    o.insert(
        "title".into(),
        json!(format!("flowsim {} scenario", env!("CARGO_PKG_VERSION"))),
    );
    o.insert(
        "description".into(),
        json!(
            "A flowsim scenario (TOML): the team, the stages, arrivals, disruptions and the \
             policies to compare. Times are hours unless a name says otherwise \
             (_weeks, _per_day). `flowsim check FILE` checks ranges and cross-field rules."
        ),
    );
    root
}

/// The schema of a value of type `ty`.
fn of(ty: &Ty) -> Value {
    match ty {
        Ty::Str => json!({"type": "string"}),
        Ty::Enum(words) => json!({"type": "string", "enum": words}),
        Ty::Float => json!({"type": "number"}),
        Ty::UInt(max) => json!({"type": "integer", "minimum": 0, "maximum": max}),
        Ty::Bool => json!({"type": "boolean"}),
        Ty::Table(fields) => table(fields),
        Ty::Map(inner) => json!({"type": "object", "additionalProperties": of(inner)}),
        Ty::Array(inner) => json!({"type": "array", "items": of(inner)}),
        Ty::Tagged { tag, variants } => {
            let words: Vec<&str> = variants.iter().map(|(name, _)| *name).collect();
            let one_of: Vec<Value> = variants
                .iter()
                .map(|(name, fields)| {
                    let mut v = table(fields);
                    let o = v.as_object_mut().expect("a table is an object");
                    o["properties"]
                        .as_object_mut()
                        .expect("properties")
                        .insert((*tag).into(), json!({"const": name}));
                    o["required"]
                        .as_array_mut()
                        .expect("required")
                        .insert(0, json!(tag));
                    o.insert("title".into(), json!(format!("{tag} = \"{name}\"")));
                    v
                })
                .collect();
            json!({
                "type": "object",
                "properties": {
                    *tag: {"type": "string", "enum": words, "description": format!("which kind: {}", words.join(", "))}
                },
                "required": [tag],
                "oneOf": one_of,
            })
        }
    }
}

/// A table with these fields and no others.
fn table(fields: &[Field]) -> Value {
    let mut props = Map::new();
    for f in fields {
        let mut s = of(&f.ty);
        if let Some(o) = s.as_object_mut() {
            o.insert("description".into(), json!(f.hint));
        }
        props.insert(f.name.into(), s);
    }
    let required: Vec<&str> = fields
        .iter()
        .filter(|f| f.required)
        .map(|f| f.name)
        .collect();
    json!({
        "type": "object",
        "properties": props,
        "required": required,
        "additionalProperties": false,
    })
}
