import { graphql } from '../gql';

export const StaffAccountsQuery = graphql(`
  query StaffAccounts($filter: StaffAccountFilter, $offset: Int!, $limit: Int!) {
    staffAccounts(filter: $filter, offset: $offset, limit: $limit) {
      totalCount
      items {
        id loginId displayName permissions enabled totpEnrolled lockedUntil lastLoginAt mustChangePassword
        team { id name }
      }
    }
  }
`);

export const StaffAccountQuery = graphql(`
  query StaffAccount($id: UUID!) {
    staffAccount(id: $id) {
      id loginId displayName permissions enabled totpEnrolled lockedUntil
      team { id name }
    }
  }
`);

export const CatalogueQuery = graphql(`
  query Catalogue {
    permissionCatalogue { name group description requiresSecondFactor available }
    rolePresets { key label permissions }
    teams { id name }
  }
`);

export const CreateStaffAccountMutation = graphql(`
  mutation CreateStaffAccount($input: CreateStaffAccountInput!) {
    createStaffAccount(input: $input) { temporaryPassword account { id loginId } }
  }
`);

export const UpdateStaffAccountMutation = graphql(`
  mutation UpdateStaffAccount($id: UUID!, $input: UpdateStaffAccountInput!) {
    updateStaffAccount(id: $id, input: $input) { id }
  }
`);

export const SetEnabledMutation = graphql(`
  mutation SetStaffAccountEnabled($id: UUID!, $enabled: Boolean!) {
    setStaffAccountEnabled(id: $id, enabled: $enabled) { id enabled }
  }
`);

export const ResetPasswordMutation = graphql(`
  mutation ResetStaffPassword($id: UUID!) {
    resetStaffPassword(id: $id) { temporaryPassword }
  }
`);

export const ResetTotpMutation = graphql(`
  mutation ResetStaffTotp($id: UUID!) {
    resetStaffTotp(id: $id) { id }
  }
`);

export const ImportMutation = graphql(`
  mutation ImportStaffAccounts($csv: String!, $dryRun: Boolean!) {
    importStaffAccounts(csv: $csv, dryRun: $dryRun) {
      applied errorCount newTeams
      rows { line loginId displayName team permissions errors { field message } }
      created { loginId temporaryPassword }
    }
  }
`);
