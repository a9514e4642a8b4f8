//! Japanese cut into words: morphological analysis with vibrato over the
//! IPADIC sources Debian's `mecab-ipadic` installs (EUC-JP CSV and def
//! files, compiled here in a few seconds; nothing is downloaded). A word is
//! indexed by its base form, so 出す, 出し and 出せ are one word; particles,
//! auxiliaries and symbols are left out. Without the dictionary the search
//! works on character bigrams alone.

use std::path::Path;

use vibrato::{SystemDictionaryBuilder, Tokenizer};

use super::fold::fold;

pub struct Analyzer {
    tokenizer: Tokenizer,
}

fn read_euc_jp(path: &Path) -> anyhow::Result<String> {
    let bytes = std::fs::read(path)?;
    let (text, _, had_errors) = encoding_rs::EUC_JP.decode(&bytes);
    if had_errors {
        tracing::warn!(path = %path.display(), "dictionary file has bytes EUC-JP does not know");
    }
    Ok(text.into_owned())
}

impl Analyzer {
    /// Compiles the dictionary in `dir` (IPADIC's *.csv, matrix.def, char.def, unk.def).
    pub fn load(dir: &Path) -> anyhow::Result<Self> {
        let started = std::time::Instant::now();
        let mut csvs: Vec<_> = std::fs::read_dir(dir)?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "csv"))
            .collect();
        csvs.sort();
        anyhow::ensure!(!csvs.is_empty(), "no lexicon (*.csv) in {}", dir.display());
        let mut lexicon = String::new();
        for csv in &csvs {
            lexicon.push_str(&read_euc_jp(csv)?);
            if !lexicon.ends_with('\n') {
                lexicon.push('\n');
            }
        }
        let matrix = read_euc_jp(&dir.join("matrix.def"))?;
        let chars = read_euc_jp(&dir.join("char.def"))?;
        let unknown = read_euc_jp(&dir.join("unk.def"))?;
        let dict = SystemDictionaryBuilder::from_readers(
            lexicon.as_bytes(),
            matrix.as_bytes(),
            chars.as_bytes(),
            unknown.as_bytes(),
        )?;
        let tokenizer = Tokenizer::new(dict).ignore_space(true)?;
        tracing::info!(
            dir = %dir.display(),
            ms = started.elapsed().as_millis() as u64,
            "FAQ dictionary compiled"
        );
        Ok(Self { tokenizer })
    }

    /// The dictionary the configuration names, or none (with the reason in the log).
    pub fn configured(setting: &str) -> Option<Self> {
        if setting == "none" {
            return None;
        }
        match Self::load(Path::new(setting)) {
            Ok(a) => Some(a),
            Err(e) => {
                tracing::warn!(error = %e, dir = setting, "no FAQ dictionary: searching by character bigrams alone");
                None
            }
        }
    }

    /// The content words of `text` (nouns, verbs, adjectives, adverbs) as
    /// folded base forms, in order.
    pub fn words(&self, text: &str) -> Vec<String> {
        use unicode_normalization::UnicodeNormalization;
        let normalized: String = text.nfkc().collect();
        let mut worker = self.tokenizer.new_worker();
        worker.reset_sentence(&normalized);
        worker.tokenize();
        let mut out = Vec::with_capacity(worker.num_tokens());
        for i in 0..worker.num_tokens() {
            let token = worker.token(i);
            let feature = token.feature();
            let mut f = feature.split(',');
            let (pos, detail) = (f.next().unwrap_or(""), f.next().unwrap_or(""));
            let content = matches!(pos, "名詞" | "動詞" | "形容詞" | "副詞")
                && !matches!(detail, "非自立" | "代名詞" | "数" | "接尾");
            if !content {
                continue;
            }
            // IPADIC: 品詞,細分類1,細分類2,細分類3,活用型,活用形,原形,読み,発音
            let base = feature
                .split(',')
                .nth(6)
                .filter(|b| *b != "*")
                .unwrap_or(token.surface());
            let word = fold(base);
            if !word.is_empty() {
                out.push(word);
            }
        }
        out
    }
}
