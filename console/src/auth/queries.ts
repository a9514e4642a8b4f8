import { graphql } from '../gql';

export const ViewerQuery = graphql(`
  query Viewer {
    viewer {
      stage
      secondFactor
      account {
        id
        loginId
        displayName
        permissions
        mustChangePassword
        totpEnrolled
        team { id name }
      }
    }
  }
`);

export const LoginMutation = graphql(`
  mutation Login($input: LoginInput!) {
    login(input: $input) { stage }
  }
`);

export const VerifyTotpMutation = graphql(`
  mutation VerifyTotp($code: String!) {
    verifyTotp(code: $code) { stage }
  }
`);

export const BeginTotpEnrolmentMutation = graphql(`
  mutation BeginTotpEnrolment {
    beginTotpEnrolment { secret otpauthUri }
  }
`);

export const ConfirmTotpEnrolmentMutation = graphql(`
  mutation ConfirmTotpEnrolment($code: String!) {
    confirmTotpEnrolment(code: $code) { stage }
  }
`);

export const LogoutMutation = graphql(`
  mutation Logout { logout }
`);

export const ChangePasswordMutation = graphql(`
  mutation ChangePassword($input: ChangePasswordInput!) {
    changePassword(input: $input)
  }
`);
