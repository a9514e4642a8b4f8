import { useQuery } from '@tanstack/react-query';
import { request } from '../api/client';
import { ViewerQuery } from './queries';

export const VIEWER_KEY = ['viewer'];

export function useViewer() {
  return useQuery({ queryKey: VIEWER_KEY, queryFn: () => request(ViewerQuery), staleTime: 30_000 });
}

