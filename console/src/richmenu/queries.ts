import { graphql } from '../gql';

export const RichMenusQuery = graphql(`
  query RichMenus {
    richMenus {
      id
      name
      audience
      segmentId
      liveVersion
      linkedResidents
      updatedAt
      versions {
        version
        live
        createdAt
        publishedAt
        definition {
          pages {
            name
            width
            height
            chatBarText
            image
            areas { x y width height action { kind liff uri text data tab label } }
            template { tabs activeTab columns rows tiles { label icon } }
          }
        }
      }
    }
    segments { id name }
  }
`);

export const DisasterModeQuery = graphql(`
  query RichMenuDisasterMode {
    richMenuDisasterMode { on lastSwitch { id on state step residentsMoved residentsTotal problem createdAt finishedAt } }
  }
`);

export const CreateFromTemplate = graphql(`
  mutation CreateRichMenuFromTemplate($name: String!, $withTabs: Boolean!) {
    createRichMenuFromTemplate(name: $name, withTabs: $withTabs) { menu { id } version notices }
  }
`);

export const SaveDraft = graphql(`
  mutation SaveRichMenuDraft($id: Int!, $input: RichMenuInput!) {
    saveRichMenuDraft(id: $id, input: $input) { menu { id } version notices }
  }
`);

export const Publish = graphql(`
  mutation PublishRichMenu($id: Int!, $version: Int!) { publishRichMenu(id: $id, version: $version) { id state } }
`);

export const PublishProgress = graphql(`
  query RichMenuPublishProgress($id: Int!) {
    richMenuPublish(id: $id) { id state step problems { field message } finishedAt }
  }
`);

export const DrawImage = graphql(`
  mutation DrawRichMenuImage($template: RichMenuTemplateInput!, $width: Int!, $height: Int!) {
    drawRichMenuImage(template: $template, width: $width, height: $height) { image url }
  }
`);

export const SetDisasterMode = graphql(`
  mutation SetRichMenuDisasterMode($on: Boolean!) { setRichMenuDisasterMode(on: $on) { id state } }
`);

export const TapsQuery = graphql(`
  query RichMenuTaps($id: Int!, $from: NaiveDate!, $to: NaiveDate!) {
    richMenuTaps(menuId: $id, from: $from, to: $to) { version page area label day taps }
  }
`);
