import type { CodegenConfig } from '@graphql-codegen/cli';

// Typed documents from the committed residents' contract.
const config: CodegenConfig = {
  schema: './schema.graphql',
  documents: ['src/**/*.{ts,tsx}', '!src/gql/**/*'],
  ignoreNoDocuments: true,
  generates: {
    './src/gql/': {
      preset: 'client',
      presetConfig: { fragmentMasking: false },
      config: { scalars: { DateTime: 'string', NaiveDate: 'string', UUID: 'string' }, enumsAsTypes: true, useTypeImports: true },
    },
  },
};
export default config;
