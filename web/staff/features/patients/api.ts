import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { del, get, pagedList, patch, post } from '../../../lib/api';
import type { AuditPage } from '../../../../common/contract/audit.js';
import type {
  ShareDocument,
  StaffDocument,
  StaffDocumentList,
} from '../../../../common/contract/documents.js';
import type { NewMedicalItem, StaffMedicalData } from '../../../../common/contract/medical-data.js';
import type {
  PatientChanges,
  PatientRecord,
  PatientSearchResult,
  PortalAccountAction,
} from '../../../../common/contract/patients.js';
import type { NewProxy, Proxy, ProxyList } from '../../../../common/contract/proxies.js';

export function usePatientSearch(query: string) {
  return useQuery({
    queryKey: ['patients', 'search', query],
    queryFn: () => get<PatientSearchResult>(`/patients?query=${encodeURIComponent(query)}`),
    enabled: query.trim().length >= 2,
    placeholderData: (previous) => previous,
  });
}

export function usePatient(id: string) {
  return useQuery({
    queryKey: ['patient', id],
    queryFn: () => get<PatientRecord>(`/patients/${id}`),
  });
}

export function usePatientActivity(id: string, enabled: boolean) {
  return useInfiniteQuery({
    queryKey: ['patient', id, 'activity'],
    ...pagedList<AuditPage>(`/patients/${id}/activity`),
    enabled,
  });
}

/**
 * The record after a change: kept as the answer gave it (a refetch would record another view),
 * and the Activity tab reloaded to show the change.
 */
function useRecordChanged(id: string) {
  const client = useQueryClient();
  return (record: PatientRecord) => {
    client.setQueryData(['patient', id], record);
    void client.invalidateQueries({ queryKey: ['patient', id, 'activity'] });
  };
}

/** Invite, Reset Portal Login, Unblock Portal User, Disable and Enable Portal Login. */
export function usePortalAccountAction(id: string) {
  const changed = useRecordChanged(id);
  return useMutation({
    mutationFn: (action: PortalAccountAction) =>
      post<PatientRecord>(`/patients/${id}/portal-account/${action}`),
    onSuccess: changed,
  });
}

/** Changes the patient's details (admin): only the fields given. */
export function useUpdatePatient(id: string) {
  const changed = useRecordChanged(id);
  return useMutation({
    mutationFn: (changes: PatientChanges) => patch<PatientRecord>(`/patients/${id}`, changes),
    onSuccess: changed,
  });
}

const proxiesKey = (patientId: string) => ['patient', patientId, 'proxies'];

/** The patient's proxies in force (Proxy Access). */
export function useProxies(patientId: string) {
  return useQuery({
    queryKey: proxiesKey(patientId),
    queryFn: () => get<ProxyList>(`/patients/${patientId}/proxies`),
  });
}

/** Add Proxy: a portal account by email, invited when new. */
export function useAddProxy(patientId: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (proxy: NewProxy) => post<Proxy>(`/patients/${patientId}/proxies`, proxy),
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: proxiesKey(patientId) });
      void client.invalidateQueries({ queryKey: ['patient', patientId, 'activity'] });
    },
  });
}

/** Remove Proxy: their access ends at once. */
export function useRemoveProxy(patientId: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (proxyId: string) => del<void>(`/patients/${patientId}/proxies/${proxyId}`),
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: proxiesKey(patientId) });
      void client.invalidateQueries({ queryKey: ['patient', patientId, 'activity'] });
    },
  });
}

const documentsKey = (patientId: string) => ['patient', patientId, 'documents'];
const medicalDataKey = (patientId: string) => ['patient', patientId, 'medical-data'];

export function usePatientDocuments(patientId: string) {
  return useQuery({
    queryKey: documentsKey(patientId),
    queryFn: () => get<StaffDocumentList>(`/patients/${patientId}/documents`),
  });
}

/** Uploads a file (multipart) with its title and whether the patient sees it. */
export function useUploadDocument(patientId: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (input: { file: File | null; title: string; shareWithPatient: boolean }) => {
      const form = new FormData();
      if (input.title) form.append('title', input.title);
      form.append('shareWithPatient', String(input.shareWithPatient));
      if (input.file) form.append('file', input.file);
      return post<StaffDocument>(`/patients/${patientId}/documents`, form);
    },
    onSuccess: () => void client.invalidateQueries({ queryKey: documentsKey(patientId) }),
  });
}

/** Shares a document with the patient, or stops sharing it. */
export function useShareDocument(patientId: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ id, ...change }: { id: string } & ShareDocument) =>
      patch(`/documents/${id}`, change),
    onSuccess: () => client.invalidateQueries({ queryKey: documentsKey(patientId) }),
  });
}

export function usePatientMedicalData(patientId: string) {
  return useQuery({
    queryKey: medicalDataKey(patientId),
    queryFn: () => get<StaffMedicalData>(`/patients/${patientId}/medical-data`),
  });
}

export function useAddMedicalItem(patientId: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (item: NewMedicalItem) => post(`/patients/${patientId}/medical-data`, item),
    onSuccess: () => void client.invalidateQueries({ queryKey: medicalDataKey(patientId) }),
  });
}
