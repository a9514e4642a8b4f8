import { useQuery } from '@tanstack/react-query';
import { request } from '../api/client';
import { keys } from '../api/keys';
import { ViewerQuery } from './queries';

export const VIEWER_KEY = keys.viewer;

export function useViewer() {
  return useQuery({ queryKey: VIEWER_KEY, queryFn: () => request(ViewerQuery), staleTime: 30_000 });
}

