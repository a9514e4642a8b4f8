import { graphql } from '../gql';


export const SurveysQuery = graphql(`
  query Surveys {
    surveys { id title status liveVersion answerCount mayEdit createdByLabel updatedAt }
    surveyTemplates { key title description }
    surveySegments { id name }
  }
`);

export const SurveyQuery = graphql(`
  query Survey($id: Int!) {
    survey(id: $id) {
      id title status liveVersion answerCount mayEdit hasUnpublishedChanges liffUrl chatAnswerable createdByLabel updatedAt
      form { sections { key title description jumps { question anyOf to } questions { key kind title help required choices { key label } minPicks maxPicks format min max scale lowLabel highLabel shuffle showIf { question anyOf } } } }
      settings { opensAt closesAt identified onePerResident segmentId quota thankYou textLimit }
    }
  }
`);

export const SurveyResultsQuery = graphql(`
  query SurveyResults($id: Int!, $filter: SurveyFilter) {
    surveyResults(id: $id, filter: $filter) {
      total liff chat
      questions { key title kind answered mean median counts { key label count } }
    }
  }
`);

export const SurveyTextsQuery = graphql(`
  query SurveyTexts($id: Int!, $question: String!, $search: String!, $offset: Int!) {
    surveyTexts(id: $id, question: $question, search: $search, offset: $offset, limit: 20) {
      total items { answerId text submittedAt }
    }
  }
`);

export const SurveyCrossTabQuery = graphql(`
  query SurveyCrossTab($id: Int!, $question: String!, $by: SurveyCrossBy!) {
    surveyCrossTab(id: $id, question: $question, by: $by) {
      columns suppressed threshold rows { group cells total }
    }
  }
`);

export const CreateSurvey = graphql(`
  mutation CreateSurvey($input: SurveyInput!) { createSurvey(input: $input) { id } }
`);

export const CreateSurveyFromTemplate = graphql(`
  mutation CreateSurveyFromTemplate($key: String!) { createSurveyFromTemplate(key: $key) { id } }
`);

export const UpdateSurvey = graphql(`
  mutation UpdateSurvey($id: Int!, $input: SurveyInput!) { updateSurvey(id: $id, input: $input) { id } }
`);

export const PublishSurvey = graphql(`
  mutation PublishSurvey($id: Int!) { publishSurvey(id: $id) { id liveVersion } }
`);

export const CloseSurvey = graphql(`
  mutation CloseSurvey($id: Int!) { closeSurvey(id: $id) { id status } }
`);

export const ReopenSurvey = graphql(`
  mutation ReopenSurvey($id: Int!) { reopenSurvey(id: $id) { id status } }
`);

export const DeleteSurvey = graphql(`
  mutation DeleteSurvey($id: Int!) { deleteSurvey(id: $id) }
`);

export const SendSurvey = graphql(`
  mutation SendSurvey($id: Int!, $input: SendSurveyInput!) { sendSurvey(id: $id, input: $input) }
`);
