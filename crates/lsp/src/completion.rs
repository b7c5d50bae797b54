//! Completion from the project model, read off the text before the cursor (which is often
//! unfinished code): input names, module names, secret names and follows targets.

use nixpilot_lint::project::catalogue::known_flake;
use nixpilot_lint::project::secrets::SecretsContent;
use nixpilot_lint::project::Project;

/// One completion: the text to insert and a short description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub label: String,
    pub detail: String,
}

/// Splits `…a.b.c.par` into (`a.b.c.`, `par`): the dotted path typed so far and the partial name.
fn dotted_tail(before: &str) -> Option<(String, String)> {
    let start = before
        .char_indices()
        .rev()
        .find(|(_, c)| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '\'' | '"')))
        .map_or(0, |(i, c)| i + c.len_utf8());
    let expr = &before[start..];
    let dot = expr.rfind('.')?;
    Some((
        expr[..=dot].replace('"', ""),
        expr[dot + 1..].trim_start_matches('"').to_string(),
    ))
}

fn matching(partial: &str, names: impl IntoIterator<Item = (String, String)>) -> Vec<Item> {
    let mut items: Vec<Item> = names
        .into_iter()
        .filter(|(n, _)| n.starts_with(partial))
        .map(|(label, detail)| Item { label, detail })
        .collect();
    items.sort_by(|a, b| a.label.cmp(&b.label));
    items.dedup_by(|a, b| a.label == b.label);
    items
}

/// Completions for the text of the current line before the cursor, in file `file`.
pub fn complete(project: &Project, file: &str, before: &str) -> Vec<Item> {
    // Inside `follows = "…`: a root input.
    if let Some(i) = before.rfind("follows") {
        let rest = before[i + "follows".len()..].trim_start();
        if let Some(rest) = rest.strip_prefix('=') {
            if let Some(partial) = rest.trim_start().strip_prefix('"') {
                if !partial.contains('"') {
                    let inputs = project.flake.iter().flat_map(|f| f.inputs.iter());
                    return matching(partial, inputs.map(|i| (i.name.clone(), "flake input".to_string())));
                }
            }
        }
    }
    let Some((path, partial)) = dotted_tail(before) else {
        return Vec::new();
    };
    let modules = |class: &str| -> Vec<(String, String)> {
        project
            .layout
            .modules
            .get(class)
            .map(|m| {
                m.values()
                    .map(|e| (e.name.clone(), e.file.as_deref().unwrap_or(&e.path).to_string()))
                    .collect()
            })
            .unwrap_or_default()
    };
    match path.as_str() {
        "inputs." => {
            let mut names: Vec<(String, String)> = project
                .flake
                .iter()
                .flat_map(|f| f.inputs.iter())
                .map(|i| (i.name.clone(), i.url.clone().unwrap_or_else(|| "flake input".into())))
                .collect();
            names.push(("self".into(), "this flake".into()));
            matching(&partial, names)
        }
        "flake.nixosModules." | "self.nixosModules." | "inputs.self.nixosModules." | "flake.modules.nixos." => {
            matching(&partial, modules("nixos"))
        }
        "config.sops.secrets." | "sops.secrets." => matching(&partial, secret_names(project, file)),
        _ => {
            // `inputs.<i>.nixosModules.`: the catalogue's modules of that flake.
            let parts: Vec<&str> = path.trim_end_matches('.').split('.').collect();
            if let ["inputs", input, "nixosModules"] | ["inputs", input, "modules", "nixos"] = parts.as_slice() {
                let url = project
                    .flake
                    .as_ref()
                    .and_then(|f| f.input(input))
                    .and_then(|i| i.url.clone());
                if let Some(known) = url.as_deref().and_then(known_flake) {
                    let names = known
                        .nixos_modules
                        .unwrap_or_default()
                        .iter()
                        .map(|m| (m.name.to_string(), known.repo.to_string()));
                    return matching(&partial, names);
                }
            }
            Vec::new()
        }
    }
}

/// Top-level keys of the sops files of the host `file` belongs to (sops-nix secret names).
fn secret_names(project: &Project, file: &str) -> Vec<(String, String)> {
    let Some(host) = project
        .layout
        .hosts
        .iter()
        .find(|h| file.starts_with(&format!("{}/", h.dir)))
    else {
        // A shared module: every sops file's keys.
        return project
            .secrets
            .files
            .values()
            .flat_map(|f| keys_of(&f.content).into_iter().map(move |k| (k, f.path.to_string())))
            .collect();
    };
    project
        .secrets
        .files_of_host(&host.dir)
        .flat_map(|f| keys_of(&f.content).into_iter().map(move |k| (k, f.path.to_string())))
        .collect()
}

fn keys_of(content: &SecretsContent) -> Vec<String> {
    match content {
        // Nested keys are written `"a/b"` in sops-nix; offer the quoted form.
        SecretsContent::Encrypted { key_paths, .. } => key_paths
            .iter()
            .map(|k| if k.contains('/') { format!("\"{k}\"") } else { k.clone() })
            .collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use nixpilot_lint::project::{MemorySource, Project};

    #[test]
    fn secret_names_come_from_the_hosts_sops_file() {
        let enc = "ENC[AES256_GCM,data:AAAA,iv:aXY=,tag:dGFn,type:str]";
        let fixture = format!(
            "//- /flake.nix\n{{ inputs.blueprint.url = \"github:numtide/blueprint\"; outputs = inputs: inputs.blueprint {{ inherit inputs; }}; }}\n\
             //- /hosts/web1/configuration.nix\n{{ sops.defaultSopsFile = ./secrets.yaml; }}\n\
             //- /hosts/web1/secrets.yaml\nrestic_password: {enc}\nbackup:\n    token: {enc}\nsops:\n    age:\n        - recipient: age1x\n          enc: x\n    mac: {enc}\n    version: 3.10.2\n"
        );
        let source = MemorySource::from_fixture(&fixture);
        let project = Project::build(&source, &[]);
        let labels: Vec<String> = super::complete(&project, "hosts/web1/configuration.nix", "  config.sops.secrets.")
            .into_iter()
            .map(|i| i.label)
            .collect();
        assert_eq!(labels, ["\"backup/token\"", "restic_password"]);
        let follows = super::complete(&project, "flake.nix", "  x.inputs.nixpkgs.follows = \"bl");
        assert_eq!(
            follows.iter().map(|i| i.label.as_str()).collect::<Vec<_>>(),
            ["blueprint"]
        );
    }

    #[test]
    fn splits_the_dotted_path() {
        assert_eq!(
            super::dotted_tail("  imports = [ inputs.sr"),
            Some(("inputs.".into(), "sr".into()))
        );
        assert_eq!(
            super::dotted_tail("x = inputs.srvos.nixosModules."),
            Some(("inputs.srvos.nixosModules.".into(), String::new()))
        );
        assert_eq!(super::dotted_tail("foo"), None);
    }
}
