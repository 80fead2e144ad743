import { useQuery } from '@tanstack/react-query';
import { get } from '../../../lib/api';

export interface PortalDocument {
  id: string;
  title: string;
  contentType: string;
  sizeBytes: number;
  createdAt: string;
}

export interface MedicalItem {
  id: string;
  kind: 'result' | 'letter';
  title: string;
  date: string;
  text: string | null;
  document: { id: string; title: string | null } | null;
  createdAt: string;
}

export const useDocuments = () =>
  useQuery({
    queryKey: ['documents'],
    queryFn: () => get<{ documents: PortalDocument[] }>('/portal/documents'),
  });
export const useMedicalData = () =>
  useQuery({
    queryKey: ['medical-data'],
    queryFn: () => get<{ medicalData: MedicalItem[] }>('/portal/medical-data'),
  });

/** The address a shared document downloads from (an attachment; the browser never renders it). */
export const documentUrl = (id: string) => `/api/v1/portal/documents/${id}/content`;

export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
