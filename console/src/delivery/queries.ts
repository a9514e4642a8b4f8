import { graphql } from '../gql';

export const DeliveryFields = graphql(`
  fragment DeliveryFields on Delivery {
    id
    title
    status
    requiresApproval
    approvedAt
    createdBy
    createdAt
    scheduledAt
    startedAt
    finishedAt
    recipients
    accepted
    failed
    batchesTotal
    batchesDone
    durationSeconds
    messages { type text mediaId previewMediaId }
    target { kind segmentId expression }
  }
`);

export const DeliveryQuery = graphql(`
  query DeliveryDetail($id: Int!) { delivery(id: $id) { ...DeliveryFields targetDescription expectedRecipients } myTesterLinkedAt }
`);

export const DeliveriesQuery = graphql(`
  query DeliveriesPage($filter: DeliveryFilter, $offset: Int!, $limit: Int!) {
    deliveries(filter: $filter, offset: $offset, limit: $limit) { totalCount items { ...DeliveryFields expectedRecipients } }
    deliveryTotals(filter: $filter) { deliveries recipients accepted failed }
  }
`);

export const ComposeChoices = graphql(`
  query ComposeChoices {
    segments { id name }
    attributes { id name kind archived options { id label } }
    categoryTree { id parentId name level }
  }
`);

export const TargetCount = graphql(`
  query DeliveryTargetCount($target: DeliveryTargetInput!) { deliveryTargetCount(target: $target) }
`);

export const CreateDelivery = graphql(`
  mutation CreateDelivery($input: DeliveryInput!) { createDelivery(input: $input) { id } }
`);
export const UpdateDelivery = graphql(`
  mutation UpdateDelivery($id: Int!, $input: DeliveryInput!) { updateDelivery(id: $id, input: $input) { id } }
`);
export const ScheduleDelivery = graphql(`
  mutation ScheduleDelivery($id: Int!, $at: DateTime) { scheduleDelivery(id: $id, at: $at) { id status } }
`);
export const CancelDelivery = graphql(`
  mutation CancelDelivery($id: Int!) { cancelDelivery(id: $id) { id } }
`);
export const ApproveDelivery = graphql(`
  mutation ApproveDelivery($id: Int!) { approveDelivery(id: $id) { id } }
`);
export const DuplicateDelivery = graphql(`
  mutation DuplicateDelivery($id: Int!) { duplicateDelivery(id: $id) { id } }
`);
export const DeleteDelivery = graphql(`
  mutation DeleteDelivery($id: Int!) { deleteDelivery(id: $id) }
`);
export const TestSend = graphql(`
  mutation TestSendDelivery($id: Int!) { testSendDelivery(id: $id) }
`);
export const TesterCode = graphql(`
  mutation CreateTesterLinkCode { createTesterLinkCode { code expiresAt } }
`);
