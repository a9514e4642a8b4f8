//! FAQ and chatbot: every field needs chatbot.manage.

use serde_json::json;
use tenohira::auth::Permission::*;

use super::Op;

/// Each operation with the permission that guards it (deletes after the updates).
pub fn ops() -> Vec<Op> {
    vec![
        Op {
            field: "faqEntries",
            permission: ChatbotManage,
            query: "{ faqEntries { totalCount items { id } } }",
            vars: |_| json!({}),
            audit: None,
            also: &[],
        },
        Op {
            field: "faqEntry",
            permission: ChatbotManage,
            query: "query($id: Int!) { faqEntry(id: $id) { question } }",
            vars: |f| json!({"id": f.faq}),
            audit: None,
            also: &[],
        },
        Op {
            field: "faqSearch",
            permission: ChatbotManage,
            query: "{ faqSearch(text: \"粗大ごみの出し方\") { score } }",
            vars: |_| json!({}),
            audit: None,
            also: &[],
        },
        Op {
            field: "faqSynonyms",
            permission: ChatbotManage,
            query: "{ faqSynonyms { id terms } }",
            vars: |_| json!({}),
            audit: None,
            also: &[],
        },
        Op {
            field: "createFaqEntry",
            permission: ChatbotManage,
            query: "mutation { createFaqEntry(input: {question: \"燃えるごみの日は？\", answer: \"週2回です。\"}) { id } }",
            vars: |_| json!({}),
            audit: Some("chatbot.faq.create"),
            also: &[],
        },
        Op {
            field: "updateFaqEntry",
            permission: ChatbotManage,
            query: "mutation($id: Int!) { updateFaqEntry(id: $id, input: {question: \"粗大ごみの出し方\", answer: \"受付センターへ\"}) { id } }",
            vars: |f| json!({"id": f.faq}),
            audit: Some("chatbot.faq.update"),
            also: &[],
        },
        Op {
            field: "saveFaqSynonyms",
            permission: ChatbotManage,
            query: "mutation($id: Int) { saveFaqSynonyms(id: $id, terms: [\"粗大ごみ\", \"大型ごみ\"]) { id } }",
            vars: |f| json!({"id": f.synonyms}),
            audit: Some("chatbot.synonyms.save"),
            also: &[],
        },
        Op {
            field: "deleteFaqSynonyms",
            permission: ChatbotManage,
            query: "mutation($id: Int!) { deleteFaqSynonyms(id: $id) }",
            vars: |f| json!({"id": f.synonyms}),
            audit: Some("chatbot.synonyms.delete"),
            also: &[],
        },
        Op {
            field: "deleteFaqEntry",
            permission: ChatbotManage,
            query: "mutation($id: Int!) { deleteFaqEntry(id: $id) }",
            vars: |f| json!({"id": f.faq}),
            audit: Some("chatbot.faq.delete"),
            also: &[],
        },
    ]
}
