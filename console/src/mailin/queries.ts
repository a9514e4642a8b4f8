import { graphql } from '../gql';

export const MailPageQuery = graphql(`
  query MailPage {
    mailRules {
      id name enabled position matchMode extractMunicipalities fallback baseSegmentId combine receiveNodeId template mode disasterMode updatedAt
      conditions { field kind words mode pattern }
      rewrites { kind text end }
    }
    mailSenders { id kind pattern note createdAt }
    mailRuleChoices { segments { id name } receiveItems { id name } }
    mailRetentionDays
  }
`);

export const InboundMailsQuery = graphql(`
  query InboundMails($before: Int) {
    inboundMails(first: 50, before: $before) {
      id receivedAt via envelopeFrom subject outcome status
    }
  }
`);

export const InboundMailQuery = graphql(`
  query InboundMail($id: Int!) {
    inboundMail(id: $id) {
      id receivedAt via envelopeFrom fromHeader messageId subject body headers spf dkim attachments sizeBytes status duplicateOf
      outcome processedAt text note rewrites
      rules { ruleId name matched acted reasons { matched detail } }
      municipalities { municipality said }
      delivery { id title status recipients accepted failed }
    }
  }
`);

export const CreateMailRule = graphql(`
  mutation CreateMailRule($input: MailRuleInput!) { createMailRule(input: $input) { id } }
`);

export const UpdateMailRule = graphql(`
  mutation UpdateMailRule($id: Int!, $input: MailRuleInput!) { updateMailRule(id: $id, input: $input) { id } }
`);

export const DeleteMailRule = graphql(`
  mutation DeleteMailRule($id: Int!) { deleteMailRule(id: $id) }
`);

export const TestMailRule = graphql(`
  query TestMailRule($rule: MailRuleInput!, $mail: PastedMailInput, $mailId: Int) {
    testMailRule(rule: $rule, mail: $mail, mailId: $mailId) {
      matched body rewrites text target recipients note
      reasons { matched detail }
      municipalities { municipality said }
    }
  }
`);

export const AddMailSender = graphql(`
  mutation AddMailSender($pattern: String!, $note: String!) { addMailSender(pattern: $pattern, note: $note) { id } }
`);

export const RemoveMailSender = graphql(`
  mutation RemoveMailSender($id: Int!) { removeMailSender(id: $id) }
`);

export const SetMailRetention = graphql(`
  mutation SetMailRetention($days: Int!) { setMailRetentionDays(days: $days) }
`);
