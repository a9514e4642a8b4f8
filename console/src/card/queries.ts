import { graphql } from '../gql';

export const PassVersions = graphql(`
  query PassVersions { maitamaPassVersions { id imageIds body linkUrl createdByLabel createdAt } }
`);

export const PublishPass = graphql(`
  mutation PublishPass($input: PassInput!) { publishMaitamaPass(input: $input) { id } }
`);

export const CardSettingsQuery = graphql(`
  query CardSettingsPage {
    cardSettings { id cardImageId notice barcodeValue barcodeImageId pregnancyGraceDays lapseNotice createdByLabel createdAt }
  }
`);

export const UpdateCardSettings = graphql(`
  mutation UpdateCardSettings($input: CardSettingsInput!) { updateCardSettings(input: $input) { id } }
`);

export const CardHolders = graphql(`
  query CardHolders($name: String, $first: Int!, $offset: Int!) {
    cardHolders(name: $name, first: $first, offset: $offset) {
      total
      items { id holderName relation grandparent expectedDate eligible eligibleUntil registeredAt children { name birthDate eligible } }
    }
  }
`);

export const PushToHolders = graphql(`
  mutation PushToCardHolders($ids: [UUID!]!, $title: String!, $text: String!) {
    pushToCardHolders(holderIds: $ids, title: $title, text: $text)
  }
`);
