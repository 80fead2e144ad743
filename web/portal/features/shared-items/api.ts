import { useQuery } from '@tanstack/react-query';
import { get } from '../../../lib/api';
import type { PortalDocumentList } from '../../../../common/contract/documents.js';
import type { PortalMedicalData } from '../../../../common/contract/medical-data.js';

export const useDocuments = () =>
  useQuery({
    queryKey: ['documents'],
    queryFn: () => get<PortalDocumentList>('/portal/documents'),
  });
export const useMedicalData = () =>
  useQuery({
    queryKey: ['medical-data'],
    queryFn: () => get<PortalMedicalData>('/portal/medical-data'),
  });

/** The address a shared document downloads from (an attachment; the browser never renders it). */
export const documentUrl = (id: string) => `/api/v1/portal/documents/${id}/content`;

export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
